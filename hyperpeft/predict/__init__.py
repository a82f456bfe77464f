"""Predictions with a trained run: `hyperpeft-predict RUN_OR_CHECKPOINT INPUT` (cli.py).

    from hyperpeft.predict.inputs import read_input
    from hyperpeft.predict.predictor import Predictor

    predictor = Predictor(load_trained_run("outputs/runs/<run>"), task_name="rte")
    rows = read_input("pairs.csv", predictor.task)      # the task's text fields, no labels
    for prediction in predictor.predict(rows):          # Prediction(label, probabilities)
        ...

inputs.py reads the rows, predictor.py batches them through the run's formulation, labels.py
names what it predicts, outputs.py writes jsonl or csv. Nothing is imported here, so that the
command answers --help and bad arguments without loading torch.
"""
