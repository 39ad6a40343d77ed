-- An annotator works one labelling claim at a time: a second concurrent claim resumes the first.
CREATE UNIQUE INDEX "Assignment_one_active_label_claim_key" ON "Assignment" ("userId")
  WHERE kind IN ('LABEL', 'REWORK') AND status = 'ACTIVE';
