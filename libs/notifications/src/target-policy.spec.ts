import { describe, expect, it } from 'vitest';
import { checkOutgoingTarget } from './target-policy';

describe('outgoing target policy', () => {
  it('always refuses link-local and metadata addresses', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/']) {
      await expect(checkOutgoingTarget(url, true), url).rejects.toThrow(/never allowed/);
    }
  });

  it('refuses private and loopback addresses unless allowed', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/', 'http://192.168.1.1/', 'http://[::1]/', 'http://localhost/']) {
      await expect(checkOutgoingTarget(url, false), url).rejects.toThrow(/private or loopback/);
    }
    await expect(checkOutgoingTarget('http://127.0.0.1:9/x', true)).resolves.toEqual(['127.0.0.1']);
  });

  it('refuses what is not an http(s) URL', async () => {
    await expect(checkOutgoingTarget('file:///etc/passwd', true)).rejects.toThrow(/http/);
    await expect(checkOutgoingTarget('not a url', true)).rejects.toThrow(/not a URL/);
  });

  it('allows a public address', async () => {
    await expect(checkOutgoingTarget('https://93.184.216.34/hook', false)).resolves.toEqual(['93.184.216.34']);
  });
});
