// Small client for the prodsim API: JSON in and out, the write token from the header field.
export function token() {
  return localStorage.getItem('prodsim.token') || '';
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    const field = e.location && e.location.field ? ` (field ${e.location.field})` : '';
    super(`${e.code || status}: ${e.message || 'request failed'}${field}`);
    this.status = status;
    this.code = e.code;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** Polls a background job until it is done or failed; `onProgress` sees each state. */
export async function pollJob(id, onProgress) {
  for (;;) {
    const job = await api('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    onProgress(job);
    if (job.state === 'done') return job;
    if (job.state === 'failed') throw new Error(`${job.error.code}: ${job.error.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
