FROM debian:12.6
RUN useradd -u 10001 app
USER app
RUN echo hi
USER root
HEALTHCHECK CMD true
CMD ["sleep", "infinity"]
