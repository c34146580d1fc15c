/**
 * What a client receives for the answering faults: bodies in the style of the
 * component that would produce them in front of Command (http.sys, IIS, a
 * reverse proxy, a gateway). // [INFER] the exact pages of a given install
 */
import type { FaultRule } from './faults';

/** A reply with a raw body (the JSON replies go through server.send). */
export interface TextReply {
  status: number;
  headers: Record<string, string>;
  text: string;
}

const HTML = 'text/html; charset=utf-8';

/** IIS 10's default custom error page for a 500 (remote request). */
const IIS_500 = `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>500 - Internal server error.</title>
<style type="text/css">
body{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;background:#EEEEEE;}
#header{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;font-family:"trebuchet MS", Verdana, sans-serif;color:#FFF;background-color:#555555;}
</style>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>500 - Internal server error.</h2>
  <h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3>
 </fieldset></div>
</div>
</body>
</html>
`;

/** http.sys when the application pool is stopped or overloaded. */
const HTTPSYS_503 = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">
<HTML><HEAD><TITLE>Service Unavailable</TITLE>
<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>
<BODY><h2>Service Unavailable</h2>
<hr><p>HTTP Error 503. The service is unavailable.</p>
</BODY></HTML>
`;

const proxyPage = (status: number, reason: string) =>
  `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`;

/** The reply for a fault that answers without processing. */
export function faultReply(rule: FaultRule): TextReply {
  const retryAfter = String(rule.retryAfterSeconds ?? 1);
  switch (rule.kind) {
    case 'status503':
      return {
        status: 503,
        headers: { 'content-type': 'text/html; charset=us-ascii', 'server': 'Microsoft-HTTPAPI/2.0', ...(rule.retryAfterSeconds !== undefined ? { 'retry-after': retryAfter } : {}) },
        text: HTTPSYS_503,
      };
    case 'status502':
      return { status: 502, headers: { 'content-type': HTML }, text: proxyPage(502, 'Bad Gateway') };
    case 'status504':
      return { status: 504, headers: { 'content-type': HTML }, text: proxyPage(504, 'Gateway Time-out') };
    case 'status429':
      return {
        status: 429,
        headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': retryAfter },
        text: JSON.stringify({ Message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }),
      };
    case 'htmlError':
      return { status: 500, headers: { 'content-type': HTML, 'server': 'Microsoft-IIS/10.0' }, text: IIS_500 };
    default:
      throw new Error(`fault '${rule.kind}' does not answer by itself`);
  }
}

/** The first half of a JSON text: what a client sees when a response is cut short. */
export function truncatedJson(body: unknown): string {
  const json = JSON.stringify(body === undefined ? { ErrorCode: null, Message: null } : body);
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}
