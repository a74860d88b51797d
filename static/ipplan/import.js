// Upload progress for the plan import form (htmx sends the file with XHR).
document.addEventListener("htmx:xhr:progress", function (event) {
  var box = document.getElementById("upload-progress");
  if (!box || !event.detail.lengthComputable) return;
  var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
  box.classList.remove("d-none");
  var bar = box.querySelector(".progress-bar");
  bar.style.width = percent + "%";
  bar.textContent = percent + "%";
});
