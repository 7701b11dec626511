import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * Keeps the last events of each SSE stream of one session, so a client that lost
 * its connection can resume with `Last-Event-ID` (and so streams open with the
 * priming event and `retry` hint that the spec recommends). Bounded per stream
 * and per session: a resume from further back than that misses the older events.
 */
export class BoundedEventStore implements EventStore {
  private readonly streams = new Map<string, { id: string; message: JSONRPCMessage }[]>();
  private sequence = 0;

  constructor(
    private readonly perStream = 256,
    private readonly maxStreams = 64,
  ) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${++this.sequence}`;
    let events = this.streams.get(streamId);
    if (events === undefined) {
      events = [];
      this.streams.set(streamId, events);
      if (this.streams.size > this.maxStreams) this.streams.delete(this.streams.keys().next().value as string);
    }
    events.push({ id, message });
    if (events.length > this.perStream) events.shift();
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    const cut = eventId.lastIndexOf('_');
    return cut > 0 ? eventId.slice(0, cut) : undefined;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const streamId = (await this.getStreamIdForEventId(lastEventId)) ?? '';
    const events = this.streams.get(streamId) ?? [];
    const after = Number(lastEventId.slice(streamId.length + 1));
    for (const event of events) if (Number(event.id.slice(streamId.length + 1)) > after) await send(event.id, event.message);
    return streamId;
  }
}
