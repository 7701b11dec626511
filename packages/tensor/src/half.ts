/** IEEE 754 binary16 bits to a number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 bits to a number: the top half of a float32. */
export function bfloat16ToFloat(h: number): number {
  bf16Scratch.setUint32(0, h << 16);
  return bf16Scratch.getFloat32(0);
}
