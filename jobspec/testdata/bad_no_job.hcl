# Only a comment, no job.
