FROM node:20.17-alpine
RUN apk add curl && apk update
WORKDIR app
ADD server.js /app/
USER node
EXPOSE 22 8080
HEALTHCHECK CMD wget -q -O- http://localhost:8080/health
HEALTHCHECK CMD curl -f http://localhost:8080/health
CMD ["node", "server.js"]
