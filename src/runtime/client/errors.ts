// API errors carry the server's Status so callers can branch on reason, as with apierrors in Go.

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds ?? details?.retryAfterSeconds;
  }

  /** Builds an error from a response body that is (usually) a metav1.Status. */
  static fromResponse(code: number, body: string, what: string, retryAfter?: string): ApiError {
    let status: { reason?: string; message?: string; details?: StatusDetails } = {};
    try {
      status = JSON.parse(body);
    } catch {
      // Not a Status (a proxy, a crash page): keep the raw text as the message.
    }
    const message = status.message ?? (body.trim().slice(0, 500) || `HTTP ${code}`);
    const retry = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    return new ApiError(code, status.reason ?? reasonForCode(code), `${what}: ${message}`, status.details, retry);
  }
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return 'Unknown';
  }
}

const is = (code: number, reason?: string) => (err: unknown): boolean =>
  err instanceof ApiError && err.code === code && (reason === undefined || err.reason === reason);

export const isNotFound = is(404);
export const isConflict = is(409, 'Conflict');
export const isAlreadyExists = is(409, 'AlreadyExists');
/** 410: the resourceVersion asked for has been compacted away ("too old resource version"). */
export const isGone = is(410);
export const isForbidden = is(403);
export const isInvalid = is(422);
export const isTooManyRequests = is(429);
