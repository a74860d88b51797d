// Dashboard charts (ECharts, served locally). Every segment opens the task list behind it.
window.ipplanCharts.start("dashboard-data", function (data) {
  var palette = ["#adb5bd", "#0d6efd", "#0dcaf0", "#198754", "#ffc107", "#343a40"];
  var charts = [];

  var plansEl = document.getElementById("chart-plans");
  if (plansEl) {
    // whole plan names, wrapped on the axis instead of cut; the chart grows with the plans
    var labelWidth = Math.max(96, Math.min(260, Math.round(plansEl.clientWidth * 0.4)));
    var lines = data.plans.map(function (p) { return Math.ceil(p.name.length * 13 / labelWidth); });
    var rows = lines.reduce(function (sum, n) { return sum + Math.max(n, 1); }, 0);
    plansEl.style.height = Math.max(320, rows * 18 + data.plans.length * 16 + 90) + "px";
    var plans = echarts.init(plansEl);
    plans.setOption({
      color: palette,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", data: data.plans.map(function (p) { return p.name; }), inverse: true,
        axisLabel: { width: labelWidth, overflow: "break", lineHeight: 15, interval: 0 }
      },
      series: data.statuses.map(function (status, i) {
        return {
          name: status, type: "bar", stack: "tasks", emphasis: { focus: "series" },
          data: data.plans.map(function (p) { return { value: p.counts[i], link: p.links[i] }; })
        };
      })
    });
    window.ipplanCharts.followLinks(plans);
    charts.push(plans);
  }

  var lightsEl = document.getElementById("chart-lights");
  if (lightsEl) {
    var colours = { red: "#dc3545", yellow: "#ffc107", green: "#198754", done: "#adb5bd" };
    var lights = echarts.init(lightsEl);
    lights.setOption({
      legend: { bottom: 0 },
      tooltip: { trigger: "item", confine: true },
      series: [{
        // labels aligned to the chart's edges, so they stay inside the canvas at any width
        type: "pie", radius: ["34%", "58%"], center: ["50%", "46%"], avoidLabelOverlap: true,
        label: { formatter: "{b}\n{c}", alignTo: "edge", edgeDistance: 8, lineHeight: 16, minMargin: 4 },
        labelLine: { length: 8, length2: 0, maxSurfaceAngle: 80 },
        labelLayout: { hideOverlap: false },
        data: data.lights.map(function (l) { return { name: l.name, value: l.value, link: l.link, itemStyle: { color: colours[l.key] } }; })
      }]
    });
    window.ipplanCharts.followLinks(lights);
    charts.push(lights);
  }
  return charts;
});
