// Plan import: upload progress, and the department picker of the preview's correction form.
document.addEventListener("htmx:xhr:progress", function (event) {
  var box = document.getElementById("upload-progress");
  if (!box || !event.detail.lengthComputable) return;
  var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
  box.classList.remove("d-none");
  var bar = box.querySelector(".progress-bar");
  bar.style.width = percent + "%";
  bar.textContent = percent + "%";
});

// "+牵头" next to a search result adds the name to that role's list (names are separated by 、).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest(".dept-pick") : null;
  if (!button) return;
  var form = button.closest("form");
  var input = form && form.querySelector('input[data-role="' + button.dataset.role + '"]');
  if (!input) return;
  var names = input.value.split("、").map(function (n) { return n.trim(); }).filter(Boolean);
  if (names.indexOf(button.dataset.name) < 0) names.push(button.dataset.name);
  input.value = names.join("、");
});
