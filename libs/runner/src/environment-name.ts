/**
 * Builds an environment variable name from a prefix and free-form parts
 * (`toEnvironmentName('STEP', 'deploy-app', 'url')` → `STEP_DEPLOY_APP_URL`).
 */
export function toEnvironmentName(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].map((part) => part.replace(/[^A-Za-z0-9]/gu, '_').toUpperCase()).join('_');
}
