"""The data plane: ``workbench serve``, an online decision service beside the control plane.

A separate process (Starlette under uvicorn) that shares only the store with the Jupyter
server and the CLI. It serves the versions the gate placed on a protected alias
(``production``, and ``canary`` during a rollout), decides rows by the batch job's own
code (:class:`workbench.scoring.batch.BatchScorer`), keeps every acknowledged decision in
``online_decisions`` before it answers, and reloads when an alias or the adopted policy
moves. Modules:

* :mod:`.rows` turns a request body (JSON or Arrow IPC) into a record batch, with limits;
* :mod:`.served` loads and verifies the versions a model serves (champion, canary, shadow);
* :mod:`.decide` scores a batch through them and builds the answer and its records;
* :mod:`.log` writes the records durably (group commit) and answers idempotent retries;
* :mod:`.tokens` holds the bearer tokens (hashes only);
* :mod:`.rollout` reads a policy's ``rollout:`` section, assigns canary keys, checks guards;
* :mod:`.report` compares the arms; :mod:`.app` is the ASGI face; :mod:`.watch` reloads.
"""
