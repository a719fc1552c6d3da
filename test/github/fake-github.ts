/**
 * A loopback fake of the three GitHub REST endpoints the pull-request comment uses (src/adapters/github/
 * pr-comment.ts), enough for octokit pointed at it with a `baseUrl`:
 *
 *   GET   /repos/{owner}/{repo}/issues/{number}/comments?per_page&page   (paginated, oldest first, Link header)
 *   POST  /repos/{owner}/{repo}/issues/{number}/comments                 {"body"}
 *   PATCH /repos/{owner}/{repo}/issues/comments/{id}                     {"body"}
 *
 * Requests need `Authorization: token <token>` (or Bearer) with the token the fake was given; `refuse` makes
 * every request fail as GitHub does for a token without the permission (403), `hang` never answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body?: unknown;
}

export interface FakeGitHub {
  url: string;
  comments: FakeComment[];
  requests: FakeRequest[];
  /** The answer to every request from now on: normal, a 403 refusal, or none (the connection hangs). */
  mode: 'ok' | 'refuse' | 'hang';
  /** Adds a comment as if someone else wrote it. */
  addComment(issue: number, body: string, user?: string): FakeComment;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: { owner: string; repo: string; token: string }): Promise<FakeGitHub> {
  let nextId = 1000;
  const hanging: ServerResponse[] = [];
  const fake: FakeGitHub = {
    url: '',
    comments: [],
    requests: [],
    mode: 'ok',
    addComment(issue, body, user = 'someone') {
      const comment = { id: nextId++, issue, body, user };
      fake.comments.push(comment);
      return comment;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const prefix = `/repos/${options.owner}/${options.repo}/issues`;
  const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(value));
  };
  const apiComment = (c: FakeComment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user, type: c.user.endsWith('[bot]') ? 'Bot' : 'User' },
    html_url: `https://github.example/${options.owner}/${options.repo}/pull/${c.issue}#issuecomment-${c.id}`,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    fake.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, ...(body !== undefined ? { body } : {}) });

    if (fake.mode === 'hang') {
      hanging.push(res);
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
      return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (fake.mode === 'refuse') {
      return json(res, 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
    }

    const list = new RegExp(`^${prefix}/(\\d+)/comments$`).exec(url.pathname);
    const one = new RegExp(`^${prefix}/comments/(\\d+)$`).exec(url.pathname);
    if (list && req.method === 'GET') {
      const issue = Number(list[1]);
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = fake.comments.filter((c) => c.issue === issue);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) {
        const next = new URL(url.toString());
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${fake.url}${next.pathname}${next.search}>; rel="next"`;
      }
      return json(res, 200, slice.map(apiComment), headers);
    }
    if (list && req.method === 'POST') {
      const comment = fake.addComment(Number(list[1]), String((body as { body?: unknown })?.body ?? ''), 'github-actions[bot]');
      return json(res, 201, apiComment(comment));
    }
    if (one && req.method === 'PATCH') {
      const comment = fake.comments.find((c) => c.id === Number(one[1]));
      if (!comment) return json(res, 404, { message: 'Not Found' });
      comment.body = String((body as { body?: unknown })?.body ?? '');
      return json(res, 200, apiComment(comment));
    }
    return json(res, 404, { message: 'Not Found' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
