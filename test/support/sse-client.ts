export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * A minimal server-sent-events reader over fetch, for tests: yields events until the server
 * closes or the caller stops (which disconnects, like a browser tab closing).
 */
export async function* readEvents(url: string, headers: Record<string, string>, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal });
  if (response.status !== 200 || !response.body) throw new Error(`SSE request failed: ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      const event: SseEvent = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      if (event.data || event.id) yield event;
    }
  }
}
