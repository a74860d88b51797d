// Dashboard charts (ECharts, served locally). Every segment opens the task list behind it.
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var palette = ["#adb5bd", "#0d6efd", "#0dcaf0", "#198754", "#ffc107", "#343a40"];
    var charts = [];

    var plansEl = document.getElementById("chart-plans");
    if (plansEl) {
      var plans = echarts.init(plansEl);
      plans.setOption({
        color: palette,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: data.plans.map(function (p) { return p.name; }), inverse: true },
        series: data.statuses.map(function (status, i) {
          return {
            name: status, type: "bar", stack: "tasks", emphasis: { focus: "series" },
            data: data.plans.map(function (p) { return { value: p.counts[i], link: p.links[i] }; })
          };
        })
      });
      plans.on("click", function (params) { if (params.data && params.data.link) window.location.href = params.data.link; });
      charts.push(plans);
    }

    var lightsEl = document.getElementById("chart-lights");
    if (lightsEl) {
      var colours = { red: "#dc3545", yellow: "#ffc107", green: "#198754", done: "#adb5bd" };
      var lights = echarts.init(lightsEl);
      lights.setOption({
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{
          type: "pie", radius: ["40%", "70%"], avoidLabelOverlap: true,
          label: { formatter: "{b}\n{c}" },
          data: data.lights.map(function (l) { return { name: l.name, value: l.value, link: l.link, itemStyle: { color: colours[l.key] } }; })
        }]
      });
      lights.on("click", function (params) { if (params.data && params.data.link) window.location.href = params.data.link; });
      charts.push(lights);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
