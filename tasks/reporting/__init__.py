"""The measures: every figure ipplan shows, defined once.

Each module defines one family of measures, in Python for one object and, where lists need it,
as a database expression that gives the same answer (the property tests in
``tests/dashboard/test_measures.py`` check that both forms agree). The README's table "How figures
are computed" repeats the definitions below.

* ``periods``     reporting periods and when a task starts owing reports;
* ``reports``     who reports, report missing, reports owed and filed (reporting compliance);
* ``people``      the bureau of a region;
* ``indicators``  the indicator trajectory and its light;
* ``urges``       urges sent in a period;
* ``scores``      the department assessment (考核) and the ranking every page shows.

The one measure ``tasks.models`` itself needs, the traffic light (overdue, red/yellow/green/done,
on-time completion), is defined just below the models in ``tasks.lights``.
"""
