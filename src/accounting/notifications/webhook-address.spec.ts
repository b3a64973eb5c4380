import { describe, expect, it } from '@jest/globals';
import { isPrivateAddress, privateAddressOf } from './webhook-address.js';

describe('webhook addresses', () => {
  it('knows loopback, private, link-local and CGNAT addresses, IPv4 and IPv6', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['8.8.8.8', '141.211.1.1', '172.32.0.1', '2001:db8::1', '::ffff:8.8.8.8']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it('checks every address a host name resolves to, and literal addresses without resolving', async () => {
    const resolve = async (host: string) => (host === 'hooks.example.edu' ? ['141.211.1.1', '10.0.0.5'] : ['141.211.1.2']);
    expect(await privateAddressOf('https://hooks.example.edu/x', resolve)).toBe('10.0.0.5');
    expect(await privateAddressOf('https://public.example.edu/x', resolve)).toBeNull();
    const never = async (): Promise<string[]> => {
      throw new Error('a literal address is not resolved');
    };
    expect(await privateAddressOf('http://127.0.0.1:9/hook', never)).toBe('127.0.0.1');
    expect(await privateAddressOf('http://[::1]:9/hook', never)).toBe('::1');
  });
});
