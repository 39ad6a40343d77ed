// GraphQL selections shared by more than one page.

/** An assignment with everything the labeling and review pages need (without other annotators' work). */
export const ASSIGNMENT_FIELDS = /* GraphQL */ `
  id kind status round leaseExpiresAt activeSeconds
  task {
    id frameIndex prelabel modelConfidence
    asset { id url kind contentType metadata frameIndexUrl spriteUrl volumeUrl }
    campaign { id name labelSchema guidelines guidelinesVersion }
  }
  latestAnnotation { id data version submitted }
`;
