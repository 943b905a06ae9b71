/** The reason a cancel gave, in words for a step result (`canceled: superseded by run 42`). */
export function describeAbortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string' && reason !== '') return `canceled: ${reason}`;
  // AbortController.abort() without an argument gives a generic DOMException that says nothing.
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message !== '') {
    return `canceled: ${reason.message}`;
  }
  return 'canceled';
}
