/**
 * The smoke check after an apply: the deployed status page's JSON API answers 200 with JSON.
 * A fresh revision may need a cold start, so it polls a few times before it gives up.
 */

/** The Terraform outputs the check reads (`terraform output -json`). */
export interface StatusOutputs {
  statusUrl: string;
  isPublic: boolean;
}

/** Reads the status URL and whether it is public from `terraform output -json`. */
export function readStatusOutputs(json: string): StatusOutputs {
  let outputs: Record<string, { value?: unknown }>;
  try {
    outputs = JSON.parse(json);
  } catch {
    throw new Error(`terraform output -json did not print JSON: ${json.slice(0, 200)}`);
  }
  const statusUrl = outputs.status_url?.value;
  if (typeof statusUrl !== 'string' || !/^https?:\/\//.test(statusUrl)) {
    throw new Error('terraform output has no status_url: was the apply complete?');
  }
  return { statusUrl, isPublic: outputs.status_page_public?.value !== false };
}

export interface SmokeOptions {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  /** A bearer token for a private status page. */
  token?: string;
  attempts?: number;
  delayMs?: number;
}

/** GETs `${statusUrl}${path}` until it answers 200 with a JSON body; throws with the last answer. */
export async function smokeCheck(statusUrl: string, path: string, options: SmokeOptions): Promise<string> {
  const url = `${statusUrl.replace(/\/+$/, '')}${path}`;
  const attempts = options.attempts ?? 6;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await options.fetch(url, { headers, redirect: 'manual' });
      const body = await response.text();
      const type = response.headers.get('content-type') ?? '';
      if (response.status === 200 && type.includes('application/json')) {
        JSON.parse(body);
        return url;
      }
      last = `${response.status} ${type}: ${body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (attempt < attempts) await options.sleep(options.delayMs ?? 10_000);
  }
  throw new Error(`GET ${url} did not answer 200 with JSON after ${attempts} attempts; last: ${last}`);
}
