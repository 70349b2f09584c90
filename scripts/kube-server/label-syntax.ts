/**
 * The syntax of Kubernetes names, label keys and label values (k8s.io/apimachinery validation),
 * with the problems worded as the API server words them. Used by Job validation and label selectors.
 */

export const MAX_SUBDOMAIN_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const SUBDOMAIN_DETAIL =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const DNS1123_LABEL_DETAIL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_DETAIL =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_DETAIL =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_WITH_PREFIX_DETAIL =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

/** Problems with a qualified name (label or annotation key), in Kubernetes' words. */
export function qualifiedNameProblems(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) return [QUALIFIED_NAME_WITH_PREFIX_DETAIL];
  if (parts.length === 1) return namePartProblems(key);
  const [prefix, name] = parts as [string, string];
  return [...prefixProblems(prefix), ...namePartProblems(name)];
}

/** Problems with the DNS subdomain before the '/' of a qualified name. */
function prefixProblems(prefix: string): string[] {
  if (prefix.length === 0) return ['prefix part must be non-empty'];
  const problems: string[] = [];
  if (prefix.length > MAX_SUBDOMAIN_LENGTH)
    problems.push(`prefix part must be no more than ${MAX_SUBDOMAIN_LENGTH} characters`);
  if (!DNS1123_SUBDOMAIN.test(prefix)) problems.push(`prefix part ${SUBDOMAIN_DETAIL}`);
  return problems;
}

/** Problems with the name of a qualified name (after the '/', if any). */
function namePartProblems(name: string): string[] {
  if (name.length === 0) return ['name part must be non-empty'];
  const problems: string[] = [];
  if (name.length > MAX_LABEL_LENGTH)
    problems.push(`name part must be no more than ${MAX_LABEL_LENGTH} characters`);
  if (!QUALIFIED_NAME_PART.test(name)) problems.push(QUALIFIED_NAME_DETAIL);
  return problems;
}

/** Problems with a label value, in Kubernetes' words. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > MAX_LABEL_LENGTH) problems.push(`must be no more than ${MAX_LABEL_LENGTH} characters`);
  if (!LABEL_VALUE.test(value)) problems.push(LABEL_VALUE_DETAIL);
  return problems;
}
