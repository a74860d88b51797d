"""Importing a plan document, one module per job.

The parser (``planparser``) turns a document into dataclasses; these modules check them against
the department registry and write the plan in one transaction: it exists whole or not at all.

- ``session``: the import record the browser and the API share, one service per step (start,
  preview, commit, discard) and the two jobs that read a big file and write a big plan;
- ``edits``: the bureau's corrections to a preview, kept with the record;
- ``preview``: the region and the department resolutions of a parsed plan (writes nothing);
- ``mapping``: every department name mapped to the registry, or refused;
- ``commit``: ``plan_import_apply``, the one writer: a new plan, or a revised one via ``reimport``;
- ``reimport``: the diff of a revised document and its application, keeping unchanged tasks;
- ``rows``: a parsed task as stored; ``progress``: a commit job's progress for the pollers.
"""
