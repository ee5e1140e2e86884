// The scenarios of the browser harness: id -> what the page does and the
// corsgate policy answering it. The origins `PAGE` and `PAGE_LOCALHOST` stand
// for the page's origin (http://127.0.0.1:PORT and http://localhost:PORT).
//
// Fields:
//   policy     the policy of /s/ID (or of the redirect hop /r/ID)
//   request    { method, headers, body, credentials } as the script makes it
//   xhr        make it with XMLHttpRequest (credentials 'include' sets
//              withCredentials) instead of fetch
//   page       'localhost': run from the page reached as http://localhost:PORT
//   api        'localhost' | 'api2': the API reached as http://localhost:PORT,
//              or the second API origin (default: first API on 127.0.0.1)
//   sandboxed  run from an <iframe sandbox="allow-scripts"> (Origin: null)
//   status     the status the application answers (?status=NNN)
//   repeat     make the request this many times in a row
//   preflights the number of preflights the server must see over the repeats
//   redirect   { to: 'api' | 'api2', policy }: /r/ID answers 307 to
//              /s/ID-target on that API origin, answered by this policy
const PAGE = 'PAGE';
const PAGE_LOCALHOST = 'PAGE_LOCALHOST';
const DELETE_FOR_PUT = { origins: [PAGE], methods: ['DELETE'] };
const CREDENTIALED = { origins: [PAGE], credentials: true };
const JSON_BODY = { headers: { 'Content-Type': 'application/json' }, body: '{}' };

export const scenarios = {
  // Simple requests and origins.
  'simple-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' } },
  'simple-refused-origin': { policy: { origins: ['https://other.example'] }, request: { method: 'GET' } },
  'any-origin-simple': { policy: { origins: ['*'] }, request: { method: 'GET' } },
  'head-simple-allowed': { policy: { origins: [PAGE] }, request: { method: 'HEAD' } },
  'post-text-plain': { policy: { origins: [PAGE] }, request: { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' } },
  'post-form-refused-origin': { policy: { origins: [PAGE_LOCALHOST] }, request: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' } },
  'origin-port-wildcard-allowed': { policy: { origins: ['http://127.0.0.1:*'] }, request: { method: 'GET' } },
  'second-api-origin-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' }, api: 'api2' },

  // Methods.
  'put-allowed': { policy: { origins: [PAGE], methods: ['PUT'], max_age: 0 }, request: { method: 'PUT' } },
  'put-refused': { policy: DELETE_FOR_PUT, request: { method: 'PUT' } },
  'put-lowercase-normalized': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'put' } },
  'patch-lowercase-refused': { policy: { origins: [PAGE], methods: ['PATCH'] }, request: { method: 'patch' } },
  'patch-uppercase-allowed': { policy: { origins: [PAGE], methods: ['PATCH'] }, request: { method: 'PATCH' } },
  'patch-lowercase-listed-allowed': { policy: { origins: [PAGE], methods: ['patch'] }, request: { method: 'patch' } },
  'any-method-delete-allowed': { policy: { origins: [PAGE], methods: ['*'] }, request: { method: 'DELETE' } },

  // Request headers.
  'json-allowed': { policy: { origins: [PAGE], request_headers: ['content-type'] }, request: { method: 'POST', ...JSON_BODY } },
  'json-refused': { policy: { origins: [PAGE] }, request: { method: 'POST', ...JSON_BODY } },
  'custom-header-refused': { policy: { origins: [PAGE], request_headers: ['x-other'] }, request: { method: 'GET', headers: { 'X-Request-Id': '1' } } },
  'custom-header-case-allowed': { policy: { origins: [PAGE], request_headers: ['X-Request-Id'] }, request: { method: 'GET', headers: { 'x-request-id': '1' } } },
  'star-headers-allowed': { policy: { origins: ['*'], request_headers: ['*'] }, request: { method: 'GET', headers: { 'X-Request-Id': '1' } } },
  'authorization-under-star-refused': { policy: { origins: ['*'], request_headers: ['*'] }, request: { method: 'GET', headers: { Authorization: 'Bearer t' } } },
  'authorization-listed-allowed': { policy: { origins: ['*'], request_headers: ['*', 'authorization'] }, request: { method: 'GET', headers: { Authorization: 'Bearer t' } } },

  // Credentials, with the session cookie set on the API origin.
  'credentials-allowed': { policy: CREDENTIALED, request: { method: 'GET', credentials: 'include' } },
  'credentials-omitted-allowed': { policy: CREDENTIALED, request: { method: 'GET', credentials: 'omit' } },
  'credentials-same-origin-mode-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET', credentials: 'same-origin' } },
  'credentials-preflight-allowed': { policy: { ...CREDENTIALED, methods: ['*'], request_headers: ['*'] }, request: { method: 'DELETE', credentials: 'include', headers: { 'X-Request-Id': '1' } } },
  'credentials-not-granted-refused': { policy: { origins: [PAGE] }, request: { method: 'GET', credentials: 'include' } },
  'credentials-any-origin-refused': { policy: { origins: ['*'] }, request: { method: 'GET', credentials: 'include' } },
  'credentials-preflight-not-granted-refused': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'PUT', credentials: 'include' } },
  'credentials-origin-refused': { policy: { origins: ['http://localhost:1'], credentials: true }, request: { method: 'GET', credentials: 'include' } },

  // Response headers scripts may read.
  'expose-none': { policy: { origins: [PAGE] }, request: { method: 'GET' } },
  'expose-one': { policy: { origins: [PAGE], expose_headers: ['x-total'] }, request: { method: 'GET' } },
  'expose-both-any-case': { policy: { origins: [PAGE], expose_headers: ['X-Total', 'x-SECRET'] }, request: { method: 'GET' } },
  'expose-any': { policy: { origins: [PAGE], expose_headers: ['*'] }, request: { method: 'GET' } },
  'expose-any-origin-one': { policy: { origins: ['*'], expose_headers: ['x-secret'] }, request: { method: 'GET' } },
  'expose-credentials-one': { policy: { ...CREDENTIALED, expose_headers: ['x-total'] }, request: { method: 'GET', credentials: 'include' } },
  'expose-preflighted-one': { policy: { origins: [PAGE], methods: ['PUT'], expose_headers: ['x-secret'] }, request: { method: 'PUT' } },

  // The preflight cache.
  'max-age-cached': { policy: { origins: [PAGE], methods: ['PUT'], max_age: 60 }, request: { method: 'PUT' }, repeat: 2, preflights: 1 },
  'max-age-zero-not-cached': { policy: { origins: [PAGE], methods: ['PUT'], max_age: 0 }, request: { method: 'PUT' }, repeat: 2, preflights: 2 },
  'max-age-cached-headers': { policy: { origins: [PAGE], request_headers: ['x-request-id'], max_age: 600 }, request: { method: 'GET', headers: { 'X-Request-Id': '1' } }, repeat: 3, preflights: 1 },

  // Application errors keep their CORS headers.
  'status-500-readable': { policy: { origins: [PAGE] }, request: { method: 'GET' }, status: 500 },
  'status-500-preflighted-readable': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'PUT' }, status: 500 },
  'status-500-refused-origin': { policy: { origins: ['https://other.example'] }, request: { method: 'GET' }, status: 500 },

  // localhost and 127.0.0.1 are different origins.
  'api-localhost-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' }, api: 'localhost' },
  'api-localhost-refused': { policy: { origins: [PAGE_LOCALHOST] }, request: { method: 'GET' }, api: 'localhost' },
  'page-localhost-allowed': { policy: { origins: ['http://localhost:*'] }, request: { method: 'GET' }, page: 'localhost' },
  'page-localhost-refused': { policy: { origins: [PAGE] }, request: { method: 'GET' }, page: 'localhost' },
  'page-localhost-preflight-refused': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'PUT' }, page: 'localhost' },

  // XMLHttpRequest.
  'xhr-simple-allowed': { policy: { origins: [PAGE], expose_headers: ['x-total'] }, request: { method: 'GET' }, xhr: true },
  'xhr-refused-origin': { policy: { origins: ['https://other.example'] }, request: { method: 'GET' }, xhr: true },
  'xhr-put-allowed': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'PUT', body: 'x' }, xhr: true },
  'xhr-put-refused': { policy: DELETE_FOR_PUT, request: { method: 'PUT', body: 'x' }, xhr: true },
  'xhr-with-credentials-allowed': { policy: CREDENTIALED, request: { method: 'GET', credentials: 'include' }, xhr: true },

  // The opaque origin `null` of a sandboxed iframe.
  'null-origin-listed-allowed': { policy: { origins: ['null'], dangerous: { allow_null_origin: true } }, request: { method: 'GET' }, sandboxed: true },
  'null-origin-refused': { policy: { origins: [PAGE] }, request: { method: 'GET' }, sandboxed: true },
  'null-origin-any-allowed': { policy: { origins: ['*'] }, request: { method: 'GET' }, sandboxed: true },
  'null-origin-preflight-refused': { policy: { origins: [PAGE], methods: ['PUT'] }, request: { method: 'PUT' }, sandboxed: true },

  // A redirect to another origin taints the origin: the follow-up sends `Origin: null`.
  'redirect-cross-origin-to-any-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' }, redirect: { to: 'api2', policy: { origins: ['*'] } } },
  'redirect-cross-origin-to-listed-refused': { policy: { origins: [PAGE] }, request: { method: 'GET' }, redirect: { to: 'api2', policy: { origins: [PAGE] } } },
  'redirect-cross-origin-to-null-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' }, redirect: { to: 'api2', policy: { origins: ['null'], dangerous: { allow_null_origin: true } } } },
  'redirect-same-origin-keeps-origin-allowed': { policy: { origins: [PAGE] }, request: { method: 'GET' }, redirect: { to: 'api', policy: { origins: [PAGE] } } },
  'redirect-hop-refused': { policy: { origins: ['https://other.example'] }, request: { method: 'GET' }, redirect: { to: 'api2', policy: { origins: ['*'] } } },
};

// Policies corsgate must refuse to build (SPEC §4), so no browser can see them.
export const invalidPolicies = {
  'expose-any-with-credentials': { origins: ['http://127.0.0.1:1'], credentials: true, expose_headers: ['*'] },
};
