# cart service: runs as root (no USER), unpinned base, secrets baked in.
FROM python:latest
LABEL org.opencontainers.image.ref.name="111122223333.dkr.ecr.eu-west-1.amazonaws.com/acme/cart"
ENV DATABASE_PASSWORD=s3cr3t-Pa55w0rd-2024
ARG GITHUB_TOKEN
RUN apt-get update
RUN apt-get install -y gcc libpq-dev
ADD requirements.txt /app/requirements.txt
WORKDIR app
RUN pip install -r requirements.txt
COPY . /app
EXPOSE 8000 22
CMD ["gunicorn", "cart.wsgi"]
