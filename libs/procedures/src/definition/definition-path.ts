const PLAIN_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Formats a field path the way authors read it: `steps[1].shell`, `parameters.environment.default`.
 * Keys that are not identifier-like (an unknown key with a space, say) are JSON-quoted so the path stays unambiguous.
 */
export function formatDefinitionPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else {
      const key = String(segment);
      if (PLAIN_SEGMENT.test(key)) {
        path += path === '' ? key : `.${key}`;
      } else {
        path += `[${JSON.stringify(key)}]`;
      }
    }
  }
  return path;
}
