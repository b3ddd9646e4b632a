// Pipeline dashboard charts: data comes from the json_script element (strict CSP, no inline code).
(function () {
  "use strict";
  function chart(id, type, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, { type: type, data: { labels: labels, datasets: datasets },
      options: Object.assign({ maintainAspectRatio: false, animation: false }, options || {}) });
  }
  function draw() {
    var source = document.getElementById("deals-dashboard-data");
    if (!source || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    chart("deals-stage-chart", "bar", d.stages.labels, [
      { label: d.labels.count, data: d.stages.counts, backgroundColor: "#0d6efd" }
    ], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
    chart("deals-partner-chart", "bar", d.partners.labels, [
      { label: d.partners.label, data: d.partners.values.map(Number), backgroundColor: "#198754" }
    ], { indexAxis: "y", scales: { x: { beginAtZero: true } } });
    chart("deals-aging-chart", "bar", d.aging.labels, [
      { label: d.labels.open, data: d.aging.counts, backgroundColor: "#fd7e14" }
    ], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
