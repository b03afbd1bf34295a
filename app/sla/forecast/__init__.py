"""The SLA breach forecast: how likely each running clock is to breach, and how well that
forecast did on past months.

``survival`` (pure) holds the estimator and ``backtest`` (pure) the scores; ``history`` reads
the queues' past clocks (cached per queue and day), ``services`` builds the at-risk list, the
projected compliance and a ticket's explanation, ``views`` serves them under ``/sla`` and
``cli`` adds ``flask sla backtest``. Method and figures: ``docs/metrics.md`` (Breach forecast).
"""
