"""Measured speed and resilience: `make bench`, or `python -m bench [FIGURE ...] [--quick]`.

Runs the dashboard under gunicorn with production settings (gunicorn.conf.py,
a secret key, collected static files, a SQLite database, local-memory or Redis
cache) against emulator subprocesses that add `--latency-ms` to every call,
then writes bench/out/report.md and bench/out/report.json. Figures:

  a  cached job table and job detail against bare Django (bench/bare) rendering the same HTML
  b  upstream calls made for 50 viewers polling one running job, local memory and Redis
  c  bytes per progress poll against a full reload; first-load transfer with static files
  d  uncached and cached job detail against a direct official-SDK call
  e  job table cost with 100, 1,000 and 10,000 restore jobs, cold and warm
  f  resident memory of each gunicorn worker after its load
  load  64 connections on the job pages, with a healthy upstream and with 20% errors

Every process listens on 127.0.0.1 only and is stopped when the run ends.
"""
