import type { Child } from "hono/jsx";
import { problemCodes, problems } from "../lib/problems";

/** The table's prose marks code with backticks: every odd part of the split is code. */
const withCode = (text: string): Child[] =>
  text.split("`").map((part, index) => (index % 2 === 1 ? <code>{part}</code> : part));

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2330}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
tr:target{background:#fff6d6}code{font:13px ui-monospace,monospace;background:#f3f4f7;padding:1px 4px;border-radius:3px}
`;

/** `/docs/problems`: every problem code, its status and meaning; each problem's `type` links to its row. */
export function ProblemsPage() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Roster problem codes</title>
        <link rel="icon" href="data:," />
        <style>{STYLE}</style>
      </head>
      <body>
        <h1>Problem codes</h1>
        <p>
          Every error is <code>application/problem+json</code> (RFC 9457). Switch on <code>code</code>;{" "}
          <code>type</code> links to its row below. See also the <a href="/docs">API reference</a>.
        </p>
        <table>
          <thead>
            <tr>
              <th>code</th>
              <th>status</th>
              <th>title</th>
              <th>meaning</th>
            </tr>
          </thead>
          <tbody>
            {problemCodes.map((code) => (
              <tr id={code}>
                <td>
                  <a href={`#${code}`}>
                    <code>{code}</code>
                  </a>
                </td>
                <td>{problems[code].status}</td>
                <td>{problems[code].title}</td>
                <td>{withCode(problems[code].meaning)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </body>
    </html>
  );
}
