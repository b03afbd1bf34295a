"""Spreadsheets of people, groups, incidents and CIs (CSV or XLSX), imported with a column
mapping guessed from the headers, a preview, a dry run and an all-or-nothing import.

:mod:`reading` (pure) reads a file strictly into a header and rows; :mod:`fields` (pure) names
what each kind may hold, guesses the mapping and parses values; :mod:`checking` holds what the
kinds share while checking (problems, plans, finding people and groups); :mod:`people`,
:mod:`incidents` and :mod:`cis` check and write each kind through the desk's services;
:mod:`service` runs a check, a preview, a dry run or an import as an ``ImportRun``;
:mod:`views` and :mod:`cli` are the page and ``flask import sheet``.
"""
