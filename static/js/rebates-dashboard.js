// Rebate dashboard chart: each program's cost as a share of the revenue it covers (data from
// json_script; strict CSP, no inline code).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("rebates-cost-data");
    var canvas = document.getElementById("rebates-cost-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: d.label, data: d.values.map(Number), backgroundColor: "#0d6efd" }] },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } } }
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
