FROM python:3.12-slim
ARG GITHUB_TOKEN
ARG AWS_SECRET_ACCESS_KEY
ENV DB_PASSWORD=Tr0ub4dor-and-3
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
LABEL maintainer.token="ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
COPY .aws/credentials /root/.aws/credentials
COPY id_rsa /root/.ssh/id_rsa
RUN pip install --no-cache-dir flask
USER 10001
HEALTHCHECK CMD python -c "print(1)"
CMD ["flask", "run"]
