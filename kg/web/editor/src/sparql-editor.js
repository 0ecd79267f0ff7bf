// A SPARQL editor for ipkg pages: every <textarea data-sparql-editor> becomes a
// CodeMirror 6 editor with SPARQL highlighting.  The textarea stays in the form
// (hidden) and always holds the editor's text, so forms submit as they would
// without JavaScript.
import { EditorView, basicSetup } from "codemirror";
import { StreamLanguage } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

function enhance(textarea) {
  const view = new EditorView({
    doc: textarea.value,
    extensions: [
      basicSetup,
      StreamLanguage.define(sparql),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": textarea.getAttribute("aria-label") || "SPARQL query" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  textarea.hidden = true;
  textarea.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("sparql-editor");
  textarea.sparqlEditor = view;
  return view;
}

function enhanceAll() {
  document.querySelectorAll("textarea[data-sparql-editor]").forEach(enhance);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", enhanceAll);
} else {
  enhanceAll();
}
