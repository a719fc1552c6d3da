/**
 * Which way a request goes: straight, or through a proxy. The choice is undici's `EnvHttpProxyAgent`
 * (HTTP_PROXY / HTTPS_PROXY / NO_PROXY, lower case first), fed either from the environment (GitHub runners, the
 * CLI) or with the Azure agent's proxy URL and bypass list (ProxySettings). Two things are ours: values are
 * read from the environment the client was given (tests, the post step), never from process.env behind its
 * back; and an https request goes through a proxy only when one is set for https (HTTPS_PROXY, or the agent's
 * proxy), as curl does, where undici would fall back to HTTP_PROXY. So each protocol gets its own agent.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import type { ProxySettings } from '../settings.js';

export interface ProxyChoice {
  /** The dispatcher for a URL; throws when the proxy setting is unusable (e.g. a socks:// URL). */
  dispatcherFor(url: URL): Dispatcher;
  /** The passwords in the proxy URLs, to mask in messages. */
  readonly passwords: string[];
  close(): Promise<void>;
}

export function proxyChoice(explicit: ProxySettings | undefined, env: Record<string, string | undefined>): ProxyChoice {
  const agentProxy = nonEmpty(explicit?.url);
  const httpProxy = agentProxy ?? nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
  const httpsProxy = agentProxy ?? nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY);
  // The agent's bypass list replaces NO_PROXY: the agent decides for its own pipelines.
  const noProxy = agentProxy !== undefined ? (explicit?.bypass ?? []).join(',') : (nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY) ?? '');
  const proxied = new Map<string, Dispatcher | Error>();
  let direct: Agent | undefined;
  const passwords = [httpProxy, httpsProxy].map(proxyPassword).filter((p): p is string => p !== undefined);
  return {
    passwords: [...new Set(passwords)],
    dispatcherFor(url) {
      const https = url.protocol === 'https:';
      const proxy = https ? httpsProxy : httpProxy;
      if (proxy === undefined) return (direct ??= new Agent());
      // One agent per protocol, so an unusable proxy for one protocol does not stop the other.
      let agent = proxied.get(url.protocol);
      if (agent === undefined) {
        agent = buildAgent(https ? { httpsProxy: proxy } : { httpProxy: proxy }, noProxy);
        proxied.set(url.protocol, agent);
      }
      if (agent instanceof Error) throw agent;
      return agent;
    },
    async close() {
      const open = [direct, ...proxied.values()].filter((d): d is Dispatcher => d !== undefined && !(d instanceof Error));
      direct = undefined;
      proxied.clear();
      await Promise.all(open.map((d) => d.close().catch(() => undefined)));
    },
  };
}

function buildAgent(proxy: { httpProxy?: string; httpsProxy?: string }, noProxy: string): Dispatcher | Error {
  try {
    return new EnvHttpProxyAgent({
      // '' rather than undefined: undici would read process.env instead.
      httpProxy: proxy.httpProxy === undefined ? '' : proxyUri(proxy.httpProxy),
      httpsProxy: proxy.httpsProxy === undefined ? '' : proxyUri(proxy.httpsProxy),
      noProxy,
      // Plain http targets go as absolute-form requests (a classic forward proxy); https is tunnelled with
      // CONNECT either way.
      proxyTunnel: false,
    });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** `proxy:8080` means `http://proxy:8080`; only http and https proxies are supported. */
function proxyUri(value: string): string {
  const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const parsed = new URL(uri);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`unsupported proxy protocol ${parsed.protocol}`);
  return uri;
}

function proxyPassword(proxyUrl: string | undefined): string | undefined {
  if (!proxyUrl) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxyUrl) ? proxyUrl : `http://${proxyUrl}`);
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}
