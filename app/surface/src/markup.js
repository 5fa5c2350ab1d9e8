// The Markdown actions of the keys and the toolbar. Each is one transaction,
// so it is one undoable edit that reaches collaborators like typing.

import { EditorSelection } from '@codemirror/state';

/** Wraps each selection in `mark` (`**` bold, `*` italic), or unwraps it if it is wrapped already. */
export function wrapSelection(view, mark) {
  const { state } = view;
  const n = mark.length;
  const wrapped = (range) =>
    range.from >= n && state.sliceDoc(range.from - n, range.from) === mark && state.sliceDoc(range.to, range.to + n) === mark;
  view.dispatch(
    state.changeByRange((range) => {
      if (!range.empty && wrapped(range)) {
        const changes = [{ from: range.from - n, to: range.from }, { from: range.to, to: range.to + n }];
        return { changes, range: EditorSelection.range(range.from - n, range.to - n) };
      }
      const changes = [{ from: range.from, insert: mark }, { from: range.to, insert: mark }];
      return { changes, range: EditorSelection.range(range.from + n, range.to + n) };
    }),
    { userEvent: 'input.format', scrollIntoView: true },
  );
  return true;
}

/** Makes each selection a link, `[text](url)`, and selects `url` to be typed over. */
export function insertLink(view) {
  const url = 'url';
  view.dispatch(
    view.state.changeByRange((range) => {
      const text = view.state.sliceDoc(range.from, range.to);
      const insert = `[${text}](${url})`;
      const start = range.from + text.length + 3;
      return { changes: { from: range.from, to: range.to, insert }, range: EditorSelection.range(start, start + url.length) };
    }),
    { userEvent: 'input.format', scrollIntoView: true },
  );
  return true;
}
