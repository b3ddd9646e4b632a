// Rebate statement: cumulative measure by month against the tier thresholds (json_script data, strict CSP).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("rebate-progress-data");
    var canvas = document.getElementById("rebate-progress-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    var datasets = [{ label: d.label, data: d.values.map(Number), borderColor: "#0d6efd", backgroundColor: "#0d6efd", tension: 0.2 }];
    d.thresholds.forEach(function (t, i) {
      datasets.push({ label: "#" + (i + 2), data: d.labels.map(function () { return Number(t); }),
                      borderColor: "#adb5bd", borderDash: [4, 4], pointRadius: 0, fill: false });
    });
    new Chart(canvas, { type: "line", data: { labels: d.labels, datasets: datasets },
                        options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } } });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
