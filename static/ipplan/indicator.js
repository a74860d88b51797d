// One target: its readings against the straight line from baseline to target (ECharts, local).
window.ipplanCharts.start("indicator-data", function (data) {
  var el = document.getElementById("chart-indicator");
  if (!el) return [];
  var chart = echarts.init(el);
  // as the page prints it (tasks/indicators.py format_quantity): 5,000 件, 8.5 万件, 40%
  function quantity(value) {
    if (value === null || value === undefined || isNaN(value)) return "—";
    var number = Number(value).toLocaleString("en-US", { maximumFractionDigits: 4 });
    if (!data.unit) return number;
    return data.unit === "%" || data.unit === "‰" ? number + data.unit : number + " " + data.unit;
  }
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: quantity },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: data.unit, scale: true },
    series: [
      { name: data.labels.trajectory, type: "line", data: data.trajectory, symbol: "none", lineStyle: { type: "dashed" }, color: "#6c757d" },
      { name: data.labels.readings, type: "line", data: data.readings, symbolSize: 8, color: "#0d6efd" }
    ]
  });
  return [chart];
});
