// The document body's editing surface: a CodeMirror 6 view that shows and
// edits the text, and nothing else. The text itself lives in the page's yrs
// document (in the wasm); this module only reports what the person changed
// and shows what changed elsewhere. Positions are UTF-16 code units, as in
// JavaScript strings and in the yrs texts of the page.

import { EditorState, Compartment, Annotation, StateField, StateEffect } from '@codemirror/state';
import { EditorView, Decoration, WidgetType, keymap, drawSelection, placeholder } from '@codemirror/view';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, HighlightStyle, indentUnit } from '@codemirror/language';
import { markdownLanguage, markdownKeymap } from '@codemirror/lang-markdown';
import { tags } from '@lezer/highlight';
import { wrapSelection, insertLink } from './markup.js';

/** Marks a transaction that shows a change made elsewhere: it is not reported back. */
const fromElsewhere = Annotation.define();

/** Replaces the collaborators' carets and selections. */
const setPeers = StateEffect.define();

/** Markdown highlighting, as classes the stylesheet colours. */
const highlighting = HighlightStyle.define([
  { tag: tags.heading1, class: 'md-h md-h1' },
  { tag: tags.heading2, class: 'md-h md-h2' },
  { tag: [tags.heading3, tags.heading4, tags.heading5, tags.heading6], class: 'md-h' },
  { tag: tags.strong, class: 'md-strong' },
  { tag: tags.emphasis, class: 'md-em' },
  { tag: tags.strikethrough, class: 'md-strike' },
  { tag: tags.monospace, class: 'md-code' },
  { tag: [tags.link, tags.url], class: 'md-link' },
  { tag: tags.quote, class: 'md-quote' },
  // Markup only (list, quote, heading and emphasis marks): `tags.list` would take whole lists.
  { tag: [tags.processingInstruction, tags.meta, tags.contentSeparator], class: 'md-mark' },
]);

/** A collaborator's caret: a thin bar in their colour with their name above it. */
class CaretWidget extends WidgetType {
  constructor(peer) {
    super();
    this.peer = peer;
  }
  eq(other) {
    const [a, b] = [this.peer, other.peer];
    return a.name === b.name && a.color === b.color && a.ink === b.ink && a.head === b.head;
  }
  toDOM() {
    const caret = document.createElement('span');
    caret.className = 'caret';
    caret.setAttribute('aria-hidden', 'true');
    caret.dataset.name = this.peer.name;
    caret.dataset.offset = String(this.peer.head);
    caret.style.setProperty('--c', this.peer.color);
    caret.style.setProperty('--on-c', this.peer.ink);
    const label = document.createElement('span');
    label.className = 'caret-label';
    label.textContent = this.peer.name;
    caret.appendChild(label);
    return caret;
  }
  ignoreEvent() {
    return true;
  }
}

/** The decorations of `peers` in a document of `length` units. */
function peerDecorations(peers, length) {
  const ranges = [];
  for (const peer of peers) {
    const head = Math.min(peer.head, length);
    const anchor = Math.min(peer.anchor, length);
    const [from, to] = anchor < head ? [anchor, head] : [head, anchor];
    if (from < to) {
      const attributes = { class: 'selection', 'data-name': peer.name, style: `--c: ${peer.color}` };
      ranges.push(Decoration.mark({ attributes }).range(from, to));
    }
    ranges.push(Decoration.widget({ widget: new CaretWidget({ ...peer, head }), side: 1 }).range(head));
  }
  return Decoration.set(ranges, true);
}

/** The collaborators' carets: set whole by the page, moved with the text in between. */
const peersField = StateField.define({
  create: () => Decoration.none,
  update(decorations, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setPeers)) return peerDecorations(effect.value, tr.newDoc.length);
    }
    return decorations.map(tr.changes);
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * The editing surface. `hooks` are the page's: `edited(edits, alone)` with a
 * flat array `[at, removed, inserted, ...]` to apply in order (`alone`: a
 * formatting action, to be undone on its own, not with the typing around it), `selected()`,
 * `undo()`, `redo()`, `composing(bool)`, `images(files, at)`.
 */
export class Surface {
  constructor(parent, text, label, hooks) {
    this.hooks = hooks;
    this.editable = new Compartment();
    const surface = this;
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: text,
        extensions: [
          this.editable.of(editableExtensions(true)),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true', spellcheck: 'true' }),
          drawSelection(),
          placeholder('Start writing. Markdown works: # Heading, **bold**, - list'),
          indentUnit.of('  '),
          markdownLanguage,
          syntaxHighlighting(highlighting),
          peersField,
          keymap.of([
            { key: 'Mod-z', run: () => (hooks.undo(), true), preventDefault: true },
            { key: 'Mod-y', run: () => (hooks.redo(), true), preventDefault: true },
            { key: 'Mod-Shift-z', run: () => (hooks.redo(), true), preventDefault: true },
            { key: 'Mod-b', run: (view) => wrapSelection(view, '**'), preventDefault: true },
            { key: 'Mod-i', run: (view) => wrapSelection(view, '*'), preventDefault: true },
            { key: 'Mod-k', run: insertLink, preventDefault: true },
            ...markdownKeymap,
            indentWithTab,
            ...defaultKeymap,
          ]),
          EditorView.updateListener.of((update) => surface.updated(update)),
          EditorView.domEventHandlers({
            // Undo and redo from the browser's menu: the page's own, never the browser's.
            beforeinput: (event) => {
              const run = { historyUndo: hooks.undo, historyRedo: hooks.redo }[event.inputType];
              if (!run) return false;
              event.preventDefault();
              run();
              return true;
            },
            compositionstart: () => void hooks.composing(true),
            // After CodeMirror has read the composition's last change (it
            // does so in a microtask after this event).
            compositionend: () => void setTimeout(() => surface.destroyed || hooks.composing(false), 0),
            paste: (event, view) => surface.images(event.clipboardData, view.state.selection.main.from, event),
            drop: (event, view) => {
              const at = view.posAtCoords({ x: event.clientX, y: event.clientY });
              return surface.images(event.dataTransfer, at ?? view.state.selection.main.from, event);
            },
          }),
        ],
      }),
    });
    this.expose(parent);
  }

  /** What scripts (and the browser tests) may read and do through the host element's `surface` property. */
  expose(host) {
    const view = this.view;
    host.surface = {
      text: () => view.state.doc.toString(),
      selection: () => [view.state.selection.main.anchor, view.state.selection.main.head],
      select: (anchor, head = anchor) => view.dispatch({ selection: { anchor, head }, scrollIntoView: true }),
      lineCount: () => view.state.doc.lines,
    };
  }

  /** Reports the person's own changes and selection moves to the page. */
  updated(update) {
    if (update.docChanged) {
      const edits = [];
      let alone = false;
      for (const tr of update.transactions) {
        if (!tr.docChanged || tr.annotation(fromElsewhere)) continue;
        alone ||= tr.isUserEvent('input.format');
        // Positions of one change set are in the document before it: shift
        // each by what the earlier changes of the set added or removed.
        let shift = 0;
        tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
          const text = inserted.toString();
          edits.push(fromA + shift, toA - fromA, text);
          shift += text.length - (toA - fromA);
        });
      }
      if (edits.length) this.hooks.edited(edits, alone);
    }
    // Only the person's own moves: a change shown from elsewhere is shown
    // inside a transaction of the page's document, where it is not to be read.
    const own = update.transactions.some((tr) => !tr.annotation(fromElsewhere));
    if (own && (update.selectionSet || update.docChanged)) this.hooks.selected();
    else if (update.focusChanged) this.hooks.selected();
  }

  /** Hands pasted or dropped images to the page; `true` if there were any. */
  images(data, at, event) {
    const files = Array.from(data?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (!files.length) return false;
    event.preventDefault();
    this.hooks.images(files, at);
    return true;
  }

  /**
   * Shows changes made elsewhere: `[from, to, inserted, ...]`, positions in
   * the text before them. `caret` says where the caret goes: `"stay"` on its
   * characters (a collaborator's text at the caret goes after it), `"after"`
   * past text inserted at it (this person's own, e.g. an uploaded image), or
   * `"to"` where the change happened (an undo or redo).
   */
  apply(changes, caret) {
    const specs = [];
    for (let i = 0; i < changes.length; i += 3) specs.push({ from: changes[i], to: changes[i + 1], insert: changes[i + 2] });
    // Built once: the transaction takes the set, and the caret maps through it.
    const set = this.view.state.changes(specs);
    const tr = { changes: set, annotations: fromElsewhere.of(true) };
    if (caret === 'to' && specs.length) {
      const last = specs[specs.length - 1];
      tr.selection = { anchor: set.mapPos(last.from, 1) };
      tr.scrollIntoView = true;
    } else if (caret === 'after') {
      tr.selection = this.view.state.selection.map(set, 1);
    }
    this.view.dispatch(tr);
  }

  /** Replaces the whole text (the first sync, or a change that is not plain text). */
  reset(text) {
    const state = this.view.state;
    if (state.doc.toString() === text) return;
    const anchor = Math.min(state.selection.main.anchor, text.length);
    this.view.dispatch({ changes: { from: 0, to: state.doc.length, insert: text }, selection: { anchor }, annotations: fromElsewhere.of(true) });
  }

  /** Draws the collaborators' carets: `[{anchor, head, name, color, ink}]`. */
  setPeers(peers) {
    this.view.dispatch({ effects: setPeers.of(peers) });
  }

  /** `[anchor, head]` of the main selection. */
  selection() {
    const { anchor, head } = this.view.state.selection.main;
    return [anchor, head];
  }

  /** Makes the surface editable or read-only. */
  setEditable(editable) {
    this.view.dispatch({ effects: this.editable.reconfigure(editableExtensions(editable)) });
  }

  /** Runs a toolbar action (`bold`, `italic`, `link`) and gives the focus back to the text. */
  command(name) {
    const run = { bold: (v) => wrapSelection(v, '**'), italic: (v) => wrapSelection(v, '*'), link: insertLink }[name];
    if (run) run(this.view);
    this.view.focus();
  }

  /** Moves the keyboard focus into the text. */
  focus() {
    this.view.focus();
  }

  /** The first line in view (1-based) and how far through it the view starts (0..1). */
  topLine() {
    const view = this.view;
    const top = view.scrollDOM.getBoundingClientRect().top;
    const block = view.lineBlockAtHeight(top - view.documentTop);
    const line = view.state.doc.lineAt(block.from).number;
    return [line, block.height > 0 ? (top - view.documentTop - block.top) / block.height : 0];
  }

  /** Scrolls so that line `line` (1-based) is at the top. */
  scrollToLine(line) {
    const doc = this.view.state.doc;
    const pos = doc.line(Math.max(1, Math.min(line, doc.lines))).from;
    this.view.dispatch({ effects: EditorView.scrollIntoView(pos, { y: 'start' }) });
  }

  /** The element that scrolls the text. */
  get scroller() {
    return this.view.scrollDOM;
  }

  /** Takes the surface out of the page; its hooks are not called again. */
  destroy() {
    this.destroyed = true;
    this.view.destroy();
  }
}

/** What makes the surface editable or not. */
function editableExtensions(editable) {
  return [EditorView.editable.of(editable), EditorState.readOnly.of(!editable)];
}
