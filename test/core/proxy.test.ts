/**
 * Which way a request goes (core/http/proxy.ts): undici's EnvHttpProxyAgent decides, fed from the environment
 * the client was given or from the Azure agent's proxy; an https request uses only a proxy set for https.
 * (Requests through a real forward proxy are in http.test.ts.)
 */
import { Agent, EnvHttpProxyAgent } from 'undici';
import { proxyChoice } from '../../src/core/http/proxy.js';

const http = new URL('http://127.0.0.1:8080/x');
const https = new URL('https://api.example.com/x');

describe('proxyChoice', () => {
  test('no proxy set: straight, whatever the process environment holds', () => {
    const choice = proxyChoice(undefined, {});
    expect(choice.dispatcherFor(http)).toBeInstanceOf(Agent);
    expect(choice.dispatcherFor(https)).toBeInstanceOf(Agent);
    expect(choice.dispatcherFor(http)).not.toBeInstanceOf(EnvHttpProxyAgent);
  });

  test('HTTP_PROXY is for http targets only; HTTPS_PROXY for https ones (lower case first)', () => {
    const choice = proxyChoice(undefined, { HTTP_PROXY: 'proxy.corp:3128' });
    expect(choice.dispatcherFor(http)).toBeInstanceOf(EnvHttpProxyAgent);
    expect(choice.dispatcherFor(https)).not.toBeInstanceOf(EnvHttpProxyAgent);
    const secure = proxyChoice(undefined, { https_proxy: 'http://secure.corp:3128', HTTPS_PROXY: 'socks5://ignored' });
    expect(secure.dispatcherFor(https)).toBeInstanceOf(EnvHttpProxyAgent);
    expect(secure.dispatcherFor(http)).not.toBeInstanceOf(EnvHttpProxyAgent);
  });

  test('an unusable proxy for one protocol is refused there only', () => {
    const choice = proxyChoice(undefined, { HTTPS_PROXY: 'socks5://proxy.corp:1080', HTTP_PROXY: 'http://proxy.corp:3128' });
    expect(() => choice.dispatcherFor(https)).toThrow('unsupported proxy protocol socks5:');
    expect(choice.dispatcherFor(http)).toBeInstanceOf(EnvHttpProxyAgent);
  });

  test("the Azure agent's proxy serves both protocols and replaces the environment's", () => {
    const choice = proxyChoice({ url: 'http://user:s3cr3t-pw@agent.proxy:8888', bypass: ['api.example.com'] }, { HTTP_PROXY: 'http://other:1' });
    expect(choice.dispatcherFor(http)).toBeInstanceOf(EnvHttpProxyAgent);
    expect(choice.dispatcherFor(https)).toBeInstanceOf(EnvHttpProxyAgent);
    expect(choice.passwords).toEqual(['s3cr3t-pw']);
  });

  test('the proxy passwords are handed out for masking', () => {
    expect(proxyChoice(undefined, { HTTP_PROXY: 'http://u:p%40ss-word@proxy:1', HTTPS_PROXY: 'http://u:other-pass@proxy:2' }).passwords).toEqual(['p@ss-word', 'other-pass']);
  });
});
