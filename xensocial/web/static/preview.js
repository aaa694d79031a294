// Updates the per-network preview of the add form as it is typed: the same rendering the
// server shows on load (GET /preview, JSON), rebuilt with textContent only, never as HTML.
"use strict";
(function () {
  const form = document.getElementById("add-form");
  const box = document.getElementById("previews");
  if (!form || !box) { return; }
  let timer = null;
  function row(p) {
    const section = document.createElement("section");
    section.className = "preview";
    const h = document.createElement("h3");
    h.textContent = p.network ? p.channel + " (" + p.network + ")" : p.channel;
    section.appendChild(h);
    if (p.error) {
      const e = document.createElement("p");
      e.className = "error";
      e.textContent = p.error;
      section.appendChild(e);
      return section;
    }
    const pre = document.createElement("pre");
    pre.className = "post";
    pre.textContent = p.text;
    const len = document.createElement("p");
    len.className = "length";
    len.textContent = "Length: " + p.length + " of " + p.limit + " " + p.unit +
      (p.byte_limit ? "; size " + p.bytes + " bytes of " + p.byte_limit : "");
    section.append(pre, len);
    return section;
  }
  async function update() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      // Text fields only: the images are sent when the form is, never to the preview.
      if (key !== "csrf" && typeof value === "string") { params.append(key, value); }
    }
    const answer = await fetch("/preview?" + params.toString(), { credentials: "same-origin" });
    if (!answer.ok) { return; }
    const rows = await answer.json();
    box.replaceChildren(...rows.map(row));
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
})();
