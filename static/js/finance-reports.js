// Finance reports chart: data comes from the json_script element (strict CSP, no inline code).
(function () {
  "use strict";
  var colours = ["#6c757d", "#0d6efd", "#198754"];
  function draw() {
    var source = document.getElementById("finance-report-data");
    var canvas = document.getElementById("finance-accrual-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: d.series.map(function (s, i) {
          return { label: s.label + " (" + d.currency + ")", data: s.values.map(Number), backgroundColor: colours[i % colours.length] };
        })
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
