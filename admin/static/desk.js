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
