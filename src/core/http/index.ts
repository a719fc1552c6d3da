/**
 * The HTTP client (client.ts) and what goes with it: request options (options.ts), errors (errors.ts, with
 * error bodies in problem.ts), rate limits (rate-limit.ts), the step's request budget (budget.ts), proxies
 * (proxy.ts), sanitised server text (server-text.ts).
 */
export { HttpClient, assertAllowedUrl, requestScope } from './client.js';
export type { HttpClientOptions, HttpResponse, RequestOptions, RetryPolicy, StreamResponse } from './options.js';
export { ApiError, type ApiErrorInit, type ApiErrorKind, type ApiProblem, type Phase } from './errors.js';
export { parseRetryAfter, type RateLimitInfo } from './rate-limit.js';
export { RequestBudget, REQUEST_BURST, type RequestLimit } from './budget.js';
export { isLoopbackHost } from '../urls.js';
