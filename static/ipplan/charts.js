// What the chart pages share (ECharts, served locally; load this file before the page's own).
// start(dataId, draw): once the page is parsed, read the page's data from the JSON script
// element dataId, let draw(data) draw and return the charts it made, and resize them with the
// window; nothing happens when the data or ECharts is missing.
// followLinks(chart): a click on a segment or mark that carries a link opens it.
window.ipplanCharts = (function () {
  function start(dataId, draw) {
    function run() {
      var source = document.getElementById(dataId);
      if (!source || !window.echarts) return;
      var charts = draw(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    }
    if (document.readyState !== "loading") run(); else document.addEventListener("DOMContentLoaded", run);
  }
  function followLinks(chart) {
    chart.on("click", function (params) { if (params.data && params.data.link) window.location.href = params.data.link; });
  }
  return { start: start, followLinks: followLinks };
})();
