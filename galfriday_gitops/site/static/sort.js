// gfops site: sortable tables. Without JavaScript a table keeps its server-side order; with
// it, each header of a table.sortable becomes a button that sorts by that column. A cell's
// data-sort attribute (when present) is the value compared; a numeric column
// (th.num) compares numbers, and empty cells go last in either direction.
(function () {
  "use strict";

  function value(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var given = cell.getAttribute("data-sort");
    return given !== null ? given : cell.textContent.trim();
  }

  function sortBy(table, index, numeric, ascending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, position) {
      var raw = value(row, index);
      var key = numeric ? parseFloat(raw) : raw.toLowerCase();
      var empty = raw === "" || (numeric && isNaN(key));
      return { row: row, key: key, empty: empty, position: position };
    });
    keyed.sort(function (a, b) {
      if (a.empty !== b.empty) { return a.empty ? 1 : -1; }
      var order = 0;
      if (!a.empty) {
        if (numeric) { order = a.key - b.key; }
        else { order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0; }
      }
      if (!ascending) { order = -order; }
      return order !== 0 ? order : a.position - b.position;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        sortBy(table, index, th.classList.contains("num"), ascending);
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enhance);
}());
