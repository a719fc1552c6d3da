export const id = 369;
export const ids = [369];
export const modules = {

/***/ 458:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   COMMENT_TIMEOUT_MS: () => (/* binding */ COMMENT_TIMEOUT_MS),
/* harmony export */   MAX_COMMENT_CHARS: () => (/* binding */ MAX_COMMENT_CHARS),
/* harmony export */   commentBody: () => (/* binding */ commentBody),
/* harmony export */   commentKey: () => (/* binding */ commentKey),
/* harmony export */   commentMarker: () => (/* binding */ commentMarker),
/* harmony export */   postPullRequestComment: () => (/* binding */ postPullRequestComment)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var _context_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6725);
/* harmony import */ var _core_text_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9716);
/**
 * The opt-in pull-request comment (`pr-comment: true`): the step's summary posted on the pull request the run
 * is for, one comment per pull request and step, updated in place on every re-run instead of adding another.
 * The comment carries a hidden marker (an HTML comment) naming the step; the step finds its own comment by it.
 *
 * Octokit (`@actions/github`'s `getOctokit`) is loaded only here, and only when a comment is asked for: the
 * bundle keeps it in a chunk of its own that no other run loads. Three REST endpoints are used: list the
 * issue's comments, update a comment, create one.
 *
 * A comment never decides the step: any failure (no permission, a pull request from a fork with its read-only
 * token, the API down or slow) is a warning, and the step passes or fails on the data load alone.
 */



/** GitHub refuses a comment body above 65,536 characters; keep below it. */
const MAX_COMMENT_CHARS = 65_000;
/** The whole comment (look-up and write) must not hold up the end of the step longer than this. */
const COMMENT_TIMEOUT_MS = 20_000;
/** At most this many pages of 100 comments are searched for the step's own. */
const MAX_PAGES = 30;
const MARKER_PREFIX = '<!-- orchestration-run:pr-comment ';
/**
 * The key of the step's comment: the workflow, the job and the step id (the same on every re-run), and the
 * platform and targets, which tell apart the legs of a matrix job (they share the job and step id).
 */
function commentKey(context, settings) {
    const parts = [context.workflow ?? '', context.job ?? '', context.action ?? '', settings.platform, JSON.stringify(settings.targets)];
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
/** The hidden first line of the step's comment. The key is hex: nothing in it can end the HTML comment. */
function commentMarker(key) {
    return `${MARKER_PREFIX}${key} -->`;
}
/**
 * The comment's text: the marker, then the summary. A summary too long for a comment loses its collapsible
 * log excerpts first (the job summary keeps them), then is cut at a line break.
 */
function commentBody(marker, summary) {
    const limit = MAX_COMMENT_CHARS - marker.length - 1;
    let text = summary.trimEnd();
    if (text.length > limit) {
        const details = text.indexOf('\n<details>');
        const note = '\n\n_(failed-task logs left out of this comment: they are in the job summary of the workflow run)_';
        if (details > 0 && details + note.length <= limit)
            text = text.slice(0, details).trimEnd() + note;
    }
    if (text.length > limit) {
        const note = '\n\n_(comment shortened: the full summary is in the job summary of the workflow run)_';
        const cut = text.slice(0, limit - note.length);
        const lastBreak = cut.lastIndexOf('\n');
        text = (lastBreak > 0 ? cut.slice(0, lastBreak) : cut) + note;
    }
    return `${marker}\n${text}\n`;
}
/**
 * Posts or updates the step's comment. Never throws and never fails the step: problems are warnings, and a run
 * that is not for a pull request only says so in the log.
 */
async function postPullRequestComment(request) {
    const { host, context } = request;
    const number = (0,_context_js__WEBPACK_IMPORTED_MODULE_1__/* .pullRequestNumber */ .Kd)(context);
    if (number === undefined) {
        host.info(`pr-comment: this run is not for a pull request (event ${context.eventName || 'unknown'}): no comment posted`);
        return;
    }
    const [owner, repo] = (context.repository ?? '').split('/');
    if (!owner || !repo) {
        host.warning(`pr-comment: the repository of this run is not known: no comment posted on pull request #${number}`);
        return;
    }
    const marker = commentMarker(commentKey(context, request.settings));
    const body = commentBody(marker, request.summary);
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs ?? COMMENT_TIMEOUT_MS)]);
    try {
        const { getOctokit } = await __webpack_require__.e(/* import() */ 747).then(__webpack_require__.bind(__webpack_require__, 3747));
        // Only the base URL is set: the client's other defaults (the runner's proxy settings) stay as they are.
        const octokit = getOctokit(request.token, { baseUrl: context.apiUrl.replace(/\/+$/, '') });
        const target = { owner, repo, request: { signal } };
        const own = await findComment((page) => octokit.rest.issues.listComments({ ...target, issue_number: number, per_page: 100, page }).then((r) => r.data), marker);
        if (own !== undefined) {
            await octokit.rest.issues.updateComment({ ...target, comment_id: own.id, body });
            host.info(`pr-comment: updated the step's comment on pull request #${number}`);
        }
        else {
            await octokit.rest.issues.createComment({ ...target, issue_number: number, body });
            host.info(`pr-comment: commented on pull request #${number}`);
        }
    }
    catch (error) {
        host.warning(`pr-comment: could not comment on pull request #${number}: ${problem(error, signal)}`);
    }
}
/** The first comment (oldest first, as the API lists them) that starts with the marker. */
async function findComment(page, marker) {
    for (let n = 1; n <= MAX_PAGES; n++) {
        const comments = await page(n);
        const own = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
        if (own !== undefined)
            return own;
        if (comments.length < 100)
            return undefined;
    }
    return undefined;
}
/** What went wrong, in one line, with what to do about a refusal. */
function problem(error, signal) {
    if (signal.aborted)
        return 'no answer in time (the comment is skipped; the step goes on)';
    const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined;
    const message = (0,_core_text_js__WEBPACK_IMPORTED_MODULE_2__/* .errorText */ .kc)(error);
    if (status === 401 || status === 403 || status === 404) {
        return (`HTTP ${status}: ${message}. The token needs permission to write pull requests ` +
            '(`permissions: pull-requests: write`); a pull request from a fork gets a read-only token, so no comment there');
    }
    return status !== undefined && Number.isFinite(status) ? `HTTP ${status}: ${message}` : message;
}


/***/ })

};
