// Live parts of the desk: an element with data-live="URL" is replaced by each server-sent
// event's HTML (rendered and escaped on the server). Ctrl+Enter sends a reply box.
(function () {
  document.querySelectorAll("[data-live]").forEach(function (element) {
    var source = new EventSource(element.dataset.live);
    source.onmessage = function (event) {
      var atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      element.innerHTML = event.data;
      if (element.dataset.stick !== undefined && atBottom) element.scrollTop = element.scrollHeight;
    };
    source.addEventListener("gone", function () { source.close(); location.reload(); });
    // The stream ends every minute and reconnects, and the session is checked again; when
    // it has ended the reconnect fails for good: reload, and the login form shows.
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) location.reload();
    };
  });
  document.querySelectorAll("[data-stick]").forEach(function (e) { e.scrollTop = e.scrollHeight; });
  document.querySelectorAll("textarea[data-send]").forEach(function (box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) box.form.requestSubmit();
    });
  });
  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.dataset.fill);
      if (select.value) { target.value = select.value; target.focus(); }
    });
  });
})();
// The text editor checks the text as it is typed (the server's checks, the same as on save)
// and shows the previews it rendered; the HTML comes escaped and sanitized from the server.
(function () {
  var box = document.querySelector("textarea[data-check]");
  if (!box) return;
  var problems = document.getElementById("problems");
  var previews = document.getElementById("previews");
  var timer = null;
  function escape(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }
  function show(result) {
    if (result.problems.length) {
      problems.innerHTML = '<div class="error" role="alert"><strong>Ошибки:</strong><ul>' +
        result.problems.map(function (p) { return "<li>" + escape(p) + "</li>"; }).join("") + "</ul></div>";
    } else {
      problems.innerHTML = '<p class="flash">Ошибок нет.</p>';
    }
    previews.innerHTML = result.previews.map(function (p) {
      var body = p.kind === "button" ? '<div class="tg-button">' + p.html + "</div>" : '<div class="bubble">' + p.html + "</div>";
      body += (p.buttons || []).map(function (row) {
        return '<div class="tg-row">' + row.map(function (label) {
          return '<span class="tg-button">' + escape(label) + "</span>";
        }).join("") + "</div>";
      }).join("");
      return '<figure class="phone"><figcaption>' + escape(p.title) + "</figcaption>" + body + "</figure>";
    }).join("");
  }
  function check() {
    fetch(box.dataset.check, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf},
      body: JSON.stringify({text: box.value}),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) return response.json().then(show);
      if (response.status === 401) location.reload();
    }).catch(function () { /* offline: the check on save still runs */ });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
})();
