// Draws each <canvas data-kind> with Chart.js from its data-labels and data-series (the same
// numbers as the table beside it). No chart without JavaScript: the table stays.
(function () {
  var colours = ["#0b4f8a", "#b3541e", "#2f7d32", "#6a3d9a", "#8a6d00", "#0e7c86"];
  function draw(canvas) {
    if (typeof Chart === "undefined") return;
    var labels = JSON.parse(canvas.dataset.labels || "[]");
    var series = JSON.parse(canvas.dataset.series || "[]");
    var kind = canvas.dataset.kind;
    var type = kind === "hbar" ? "bar" : kind;
    var datasets = series.map(function (s, i) {
      var c = colours[i % colours.length];
      return { label: s.label, data: s.data, borderColor: c, spanGaps: true,
        backgroundColor: kind === "doughnut" ? colours.slice(0, s.data.length) : c };
    });
    var chart = new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: kind === "hbar" ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 || kind === "doughnut" } } }
    });
    canvas.dataset.drawn = "true";
    return chart;
  }
  document.querySelectorAll("canvas[data-kind]").forEach(draw);
})();
