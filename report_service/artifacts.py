"""Where rendered report files go: the local store under ``ANALYTICS_HOME`` or S3.

(Contract only; implementations below are written against it.)
"""
