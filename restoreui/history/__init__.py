"""What restoreui has seen of restore jobs, kept after Pinecone forgets them.

models: RestoreRecord, one row per job. record: writes what a fresh load
showed (diffed, one bulk statement). merge: the live list joined with the
remembered jobs. recall: the job page's reads of one remembered job and its note.
"""
