/**
 * ESLint rule `prodsim/catch-says-why`: outside the places where errors reach people (the CLI entry
 * point and the HTTP error handler, the `allow` option), a `catch` clause or a `.catch(handler)` call
 * says in a comment which of the three things of CONTRIBUTING.md ("Errors") it does: turns a
 * library's or the system's error into a catalogue error, cleans up and rethrows, or turns an
 * expected failure into a value. A comment counts inside the clause's block (or the handler's body),
 * on the catch's own line, or on its own line(s) directly above it (not the tail of the try block's
 * last statement). Plain JavaScript so ESLint loads it as is.
 */
import path from 'node:path';

/** True when `file` is one of `allow` (paths relative to `srcDir`). */
function isAllowed(file, srcDir, allow) {
  const rel = path.relative(srcDir, file).split(path.sep).join('/');
  return allow.includes(rel);
}

export const catchSaysWhyRule = {
  meta: {
    type: 'suggestion',
    docs: { description: 'a catch says in a comment whether it wraps, cleans up and rethrows, or returns a value (CONTRIBUTING.md)' },
    schema: [
      {
        type: 'object',
        properties: { srcDir: { type: 'string' }, allow: { type: 'array', items: { type: 'string' } } },
        required: ['srcDir'],
        additionalProperties: false,
      },
    ],
    messages: {
      clause: 'this catch has no comment saying which it is: into a catalogue error, clean up and rethrow, or an expected failure as a value (CONTRIBUTING.md, "Errors")',
      call: 'this .catch() has no comment saying which it is: into a catalogue error, clean up and rethrow, or an expected failure as a value (CONTRIBUTING.md, "Errors")',
    },
  },
  create(context) {
    const { srcDir, allow = [] } = context.options[0];
    if (isAllowed(context.filename, srcDir, allow)) return {};
    const source = context.sourceCode;
    const comments = source.getAllComments();
    /** Nothing but blanks before the comment on its line: a comment of its own, not the tail of a statement. */
    const ownLine = (c) => source.lines[c.loc.start.line - 1].slice(0, c.loc.start.column).trim() === '';
    /** A comment of its own ends on the line just above `line`, or one sits on `line` itself. */
    const commentNear = (line) => comments.some((c) => (c.loc.end.line === line - 1 && ownLine(c)) || c.loc.start.line === line || c.loc.end.line === line);
    const commentInside = (node) => node !== undefined && node !== null && source.getCommentsInside(node).length > 0;
    return {
      CatchClause(node) {
        if (commentInside(node.body) || commentNear(node.loc.start.line)) return;
        context.report({ node, loc: { start: node.loc.start, end: node.body.loc.start }, messageId: 'clause' });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier' || callee.property.name !== 'catch') return;
        const handler = node.arguments[0];
        const body = handler && (handler.type === 'ArrowFunctionExpression' || handler.type === 'FunctionExpression') ? handler.body : undefined;
        if (commentInside(body) || commentNear(callee.property.loc.start.line)) return;
        context.report({ node: callee.property, messageId: 'call' });
      },
    };
  },
};
